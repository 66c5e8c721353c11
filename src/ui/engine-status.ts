/**
 * Which engine pieces this build contains. `import.meta.glob` on an exact path gives an empty map
 * when the file does not exist, so the shell builds and runs before the engine lands, shows
 * "not available yet" for those actions, and picks the pieces up as soon as their files exist.
 */
const engineClient = import.meta.glob('../engine/client.ts');

export const HAS_ENGINE = Object.keys(engineClient).length > 0;
