/** tree: an inventory of the supply-chain artifacts attached to an image, wherever they live. */
export { imageTree, renderTree } from './tree.js';
export type { ImageTree, AttachmentTag, Referrer, SimpleSignatureEntry, TreeLayer } from './tree.js';
