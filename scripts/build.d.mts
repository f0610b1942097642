// Types for scripts/build.mjs (plain JS, so that it runs before anything is built).
export declare function buildIsFresh(root: string, outDir?: string): boolean;
export declare function buildCairn(options: { root: string; outDir?: string }): Promise<{ outDir: string; files: number; ms: number }>;
