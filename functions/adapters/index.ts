/** The adapters: each domain port over the service it talks to. Only `functions/runtime` and the dev tools wire them. */
export { ApicClient, type AdminCredentials, type ApicClientOptions, type RequestInfo } from './apic';
export { EventBridgePublisher, EventPublishError, type EventBridgePublisherOptions } from './eventbridge/eventbridge-publisher';
export { ReportStoreError, S3ReportStore, type S3ReportStoreOptions } from './s3/report-store';
export { SecretStoreError, SecretsManagerSecretStore, type SecretsManagerSecretStoreOptions } from './secrets-manager/secret-store';
export { SecretsManagerSecretListing } from './secrets-manager/secret-listing';
export { MailDeliveryError, SesMailer } from './ses/ses-mailer';
export { RunLeaseStoreError, S3RunLeaseStore, type S3RunLeaseStoreOptions } from './s3/run-lease-store';
export { SfnExecutionStatus } from './sfn/execution-status';
