// Eleventy 3 ships JavaScript without type declarations; this is the part of its programmatic API Skein uses.
declare module "@11ty/eleventy" {
  interface EleventyOptions {
    configPath?: string;
    quietMode?: boolean;
    source?: "cli" | "script";
    runMode?: "build" | "serve" | "watch";
  }
  interface EleventyLogger {
    overrideLogger(logger: Pick<Console, "log" | "warn" | "error" | "info" | "debug"> | false): void;
  }
  export default class Eleventy {
    constructor(input?: string, output?: string, options?: EleventyOptions);
    logger: EleventyLogger;
    write(): Promise<unknown>;
    toJSON(): Promise<Array<{ url: string; inputPath: string; outputPath: string; content: string }>>;
  }
}
