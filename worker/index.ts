// The same inbox app as a plain Cloudflare Worker, for sites whose static part is hosted elsewhere
// (GitHub Pages, Netlify, any web server). Set `functions_url` in profile.yaml to this Worker's URL.
import { app } from "../functions/_app.ts";

export default app;
