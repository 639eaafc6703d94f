/** The `dir:` transport: skopeo's directory layout (`manifest.json`, blobs by hex digest, `signature-N`). */
export { dirTransport, DirReference, parseDirReference } from './reference.js';
export { DIR_VERSION } from './layout.js';
/** Path rules shared with the `oci:` and `oci-archive:` transports. */
export { resolvePathToFullyExplicit, parentDirectories, pathAndParentDirectories, validatePathScope } from './path.js';
