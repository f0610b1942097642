// The file a batch worker thread starts from. Worker threads do not inherit tsx's
// loader when the parent registered it at run time (bin/cairn.js does), nor under
// vitest, so each thread registers its own before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
