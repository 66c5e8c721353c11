/**
 * Whether this build contains the engine worker. `import.meta.glob` on an exact path gives an empty
 * map when the file does not exist, so the shell built and ran before the engine landed and showed
 * "not available yet" for those actions.
 */
const engineClient = import.meta.glob('../engine/client.ts');

export const HAS_ENGINE = Object.keys(engineClient).length > 0;
