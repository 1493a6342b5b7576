export {
  escapeHtml,
  groupDigests,
  renderDigest,
  type DigestContent,
  type DigestGroup,
  type DigestInput,
  type DigestItem,
  type GroupedDigests,
} from './render';
