export { MAX_SECRET_NAME_LENGTH, SecretNameError, parseSecretName, secretNameFor, tagValue } from './naming';
export {
  PLACEHOLDER_STATUS,
  STAGE_CURRENT,
  STAGE_PENDING,
  TAG_KEYS,
  isPlaceholderValue,
  pendingNoticeTag,
  placeholderValue,
  placeholderVersionToken,
  sentNoticeTag,
  versionToken,
  type PlaceholderValue,
} from './layout';
