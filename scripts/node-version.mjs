// The Node version Cairn needs, checked before anything else loads: older versions fail deep
// inside an import with a stack trace (util.parseEnv arrived in 20.12, AbortSignal.any in 20.3).
// Plain JavaScript with no imports, so that it runs on any Node.

export const REQUIRED_NODE = '20.16';

/** What to tell the person when `version` (process.versions.node) is too old, else undefined. */
export function nodeVersionProblem(version) {
  const [major, minor] = version.split('.').map(Number);
  const [needMajor, needMinor] = REQUIRED_NODE.split('.').map(Number);
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `cairn: Node ${version} is too old; Cairn needs Node ${REQUIRED_NODE} or newer (https://nodejs.org, or \`nvm install 20\`).`;
}
