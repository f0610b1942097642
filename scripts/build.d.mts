// Types for scripts/build.mjs (plain JS, so that it runs before anything is built).
export declare const ENTRY_POINTS: readonly string[];
export declare function buildIsFresh(root: string, outDir?: string): boolean;
export declare function buildCairn(options: { root: string; outDir?: string; entryPoints?: readonly string[] }): Promise<{ outDir: string; modules: number; ms: number }>;
