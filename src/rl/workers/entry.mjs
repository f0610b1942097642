// The file a worker process (batch run or Atropos environment) starts from. It registers tsx itself (rather than
// `--import tsx`, which resolves against the working directory), then loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./child.ts');
