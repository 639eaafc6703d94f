/** The `oci:` transport: OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`). */
export { ociTransport, OciReference, parseOciReference } from './reference.js';
/** The layout reader and writer, for transports that keep a layout elsewhere (`oci-archive:`). */
export { OciImageSource } from './source.js';
export type { ImageSelector } from './source.js';
export { OciImageDestination } from './destination.js';
export { parsePathAndRef, isValidRefName } from './reference-syntax.js';
export type { PathAndRef } from './reference-syntax.js';
export { REF_NAME_ANNOTATION } from './layout.js';
