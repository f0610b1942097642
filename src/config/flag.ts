/** A yes/no setting: a boolean in a config file, "true"/"false" (or 1/0, yes/no, on/off) from the environment. */
import { z } from 'zod';

export const flag = (fallback: boolean) => z.union([z.boolean(), z.stringbool()]).default(fallback);
