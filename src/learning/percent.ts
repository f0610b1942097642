/**
 * A share as a whole percentage for reports. Rounding alone shows 199 of 200 as "100%" and
 * 1 of 400 as "0%": an operator reads those as "none failed" and "none succeeded".
 */
export function percent(share: number): string {
  const rounded = Math.round(share * 100);
  if (rounded === 100 && share < 1) return '>99%';
  if (rounded === 0 && share > 0) return '<1%';
  return `${rounded}%`;
}
