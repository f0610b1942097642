// The file a document process starts from when Cairn runs from its TypeScript sources: it registers
// tsx, then loads the TypeScript child (compiled, the build's child.js starts directly).
import { register } from 'tsx/esm/api';

register();
await import('./child.ts');
