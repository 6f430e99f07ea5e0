/** Shared by the write path's loopback forge (forge-server-write.ts, Node) and its workerd tests: plain constants. */
export const WRITE_FORGE_TOKEN = "write-forge-token-3b9e1d";
export const WRITE_IDENTITY = { name: "Ada Owner", email: "ada@ada.example" };
