export {
  CONSUMER_READABLE_STAGES,
  ConsumerAccessError,
  consumerPolicyResolver,
  consumerReadPolicy,
} from './resource-policy';
export type { ConsumerAccess, ConsumerReadPolicyInput } from './resource-policy';
