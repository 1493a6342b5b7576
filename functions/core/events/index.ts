export { EventBridgePublisher, EventPublishError } from './eventbridge-publisher';
export type { EventBridgePublisherOptions } from './eventbridge-publisher';
export { OLD_CREDENTIAL_REMOVED, REPLACEMENT_READY, ROTATION_EVENT_SOURCE } from './rotation-events';
export type { EventPublisherPort, RotationEvent, RotationEventDetail, RotationEventType } from './rotation-events';
