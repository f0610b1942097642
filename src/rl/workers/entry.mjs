// The file a batch worker process starts from. It registers tsx itself (rather than
// `--import tsx`, which resolves against the working directory), then loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./child.ts');
