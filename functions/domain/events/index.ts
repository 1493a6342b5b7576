export { OLD_CREDENTIAL_REMOVED, REPLACEMENT_READY, ROTATION_EVENT_SOURCE } from './rotation-events';
export type { RotationEvent, RotationEventDetail, RotationEventType } from './rotation-events';
