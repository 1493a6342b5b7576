/** Whether a lease holder's execution still runs, from Step Functions' DescribeExecution. */
import { DescribeExecutionCommand, ExecutionDoesNotExist, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStatusPort } from '../../domain/ports';

export class SfnExecutionStatus implements ExecutionStatusPort {
  constructor(private readonly sfn: SFNClient) {}

  async isRunning(executionArn: string): Promise<boolean> {
    try {
      const answer = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return answer.status === 'RUNNING';
    } catch (error) {
      // An execution that does not exist (any more: closed ones are kept 90 days) holds nothing.
      if (error instanceof ExecutionDoesNotExist) return false;
      throw error;
    }
  }
}
