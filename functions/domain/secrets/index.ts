export { MAX_SECRET_NAME_LENGTH, SecretNameError, parseSecretName, secretNameFor, tagValue } from './naming';
export { STAGE_CURRENT, STAGE_PENDING, TAG_KEYS, pendingNoticeTag, sentNoticeTag, versionToken } from './layout';
