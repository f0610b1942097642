/** A yes/no setting: a boolean in a config file, "true"/"false" (or 1/0, yes/no, on/off) from the environment. */
import { z } from 'zod';

/** zod's own word for another value was "Invalid input", which named nothing to write instead. */
const NOT_A_FLAG = 'not a yes/no value: write true or false (from the environment also 1/0, yes/no, on/off)';

export const flag = (fallback: boolean) => z.union([z.boolean(), z.stringbool()], { error: NOT_A_FLAG }).default(fallback);
