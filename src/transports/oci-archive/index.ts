/** The `oci-archive:` transport: a tar of an OCI image layout. */
export { ociArchiveTransport, OciArchiveReference, parseOciArchiveReference } from './reference.js';
