/** Settings of the notes layer (src/memory/notes): semantic search and recall. */
import { z } from 'zod';
import type { EnvBinding } from './env.js';

export const memorySchema = z
  .object({
    /**
     * Embeddings model on the same OpenAI-compatible endpoint as the chat model. When
     * set, note search fuses keyword and semantic rankings; unset, it is keyword only.
     */
    embeddingsModel: z.string().min(1).optional(),
    /** Token budget of the notes recalled into the prompt at session start. */
    recallTokens: z.number().int().min(0).default(800),
  })
  .prefault({});

export type MemoryConfig = z.output<typeof memorySchema>;

export const MEMORY_ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'CAIRN_EMBEDDINGS_MODEL', path: ['memory', 'embeddingsModel'], kind: 'string', help: 'Embeddings model on the same endpoint; turns on semantic note search (unset: keyword search only).' },
  { name: 'CAIRN_MEMORY_RECALL_TOKENS', path: ['memory', 'recallTokens'], kind: 'int', help: 'Token budget of the notes recalled into the prompt at session start (default 800).' },
];
