-- Which verified replies the owner shows on the site (issue "Conversations on the site"). The site
-- shows what is in the repository (posts/replies/*.yaml); this only remembers the owner's decision:
-- 'approved' (written, or to be written, into the repository by `npm run replies`), 'rejected'
-- (never listed again). Never edit this file once deployed.
ALTER TABLE replies ADD COLUMN moderation TEXT CHECK (moderation IN ('approved', 'rejected'));
ALTER TABLE replies ADD COLUMN moderated_at TEXT;
