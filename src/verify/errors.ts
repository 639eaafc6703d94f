import { CodedError } from '../core/index.js';

export type VerifyErrorCode = 'SIGNATURE_UNREADABLE' | 'POLICY_NOT_FOUND' | 'POLICY_UNREADABLE';

export class VerifyError extends CodedError<VerifyErrorCode> {
  get category(): 'unreachable' | 'input' {
    return this.code === 'SIGNATURE_UNREADABLE' ? 'unreachable' : 'input';
  }
}
