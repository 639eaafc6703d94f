import { CodedError } from '../core/index.js';

export type InspectErrorCode = 'TOO_LARGE' | 'NO_CONFIG' | 'INVALID_CONFIG' | 'NESTED_INDEX';

export class InspectError extends CodedError<InspectErrorCode> {
  readonly category = 'input' as const;
}
