/** The Node version Cairn needs, as major.minor. */
export declare const REQUIRED_NODE: string;
/** What to tell the person when `version` (process.versions.node) is too old, else undefined. */
export declare function nodeVersionProblem(version: string): string | undefined;
