/**
 * The construct id for a definition name: `order-events` → `OrderEvents`.
 *
 * Construct ids are part of the deployed contract (renaming one replaces the resource), so they
 * derive from the definition's names and nothing else.
 */
export function constructIdFor(name: string): string {
  return name
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
