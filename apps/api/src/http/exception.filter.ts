import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { AccessError, AccessException } from '@mayak/access';
import { AccountsError, AccountsException } from '@mayak/accounts';
import { CaseError, CaseException } from '@mayak/cases';
import { ContactsError, ContactsException } from '@mayak/contacts';
import { CustodyError, CustodyException } from '@mayak/custody';
import { EmergencyError, EmergencyException } from '@mayak/emergency';
import { IdentityError, IdentityException } from '@mayak/identity';
import { IntakeError, IntakeException } from '@mayak/intake';
import { NotificationsError, NotificationsException } from '@mayak/notifications';
import { ReferralError, ReferralException } from '@mayak/referrals';
import { StaffingError, StaffingException } from '@mayak/staffing';
import { StatisticsError, StatisticsException } from '@mayak/statistics';
import {
  describeError,
  DomainException,
  isConnectionError,
  Logger,
  SealedError,
} from '@mayak/platform';
import { FastifyReply } from 'fastify';
import { CsrfRejected } from './csrf';
import { ErrorBody } from './error-body';
import { RequestValidationError } from './validation';

/**
 * Maps every error to a status and a stable body, once, for the whole API. Domain codes map
 * through exhaustive switches (a new code that is not mapped does not compile).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    void reply.status(body.statusCode).send(body);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof RequestValidationError)
      return {
        statusCode: 400,
        error: 'validation_failed',
        message: 'The request is not valid.',
        fields: exception.fields,
      };
    if (exception instanceof CsrfRejected) return exception.body;
    // A lockdown that landed while this request was under way.
    if (exception instanceof SealedError) return SEALED_BODY;
    if (exception instanceof DomainException)
      return domainBody(exception as DomainException<string>);
    if (exception instanceof ThrottlerException)
      return {
        statusCode: 429,
        error: 'too_many_requests',
        message: 'Too many attempts; wait a minute.',
      };
    if (exception instanceof HttpException) return httpBody(exception.getStatus());
    const status = (exception as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return httpBody(status);
    if (isConnectionError(exception)) {
      this.logger.warn(describeError(exception), 'database unavailable');
      return {
        statusCode: 503,
        error: 'unavailable',
        message: 'The service is briefly unavailable; try again.',
      };
    }
    const errorId = randomUUID();
    this.logger.error({ errorId, ...describeError(exception) }, 'unhandled error');
    return {
      statusCode: 500,
      error: 'internal_error',
      message: 'Something went wrong on our side.',
      errorId,
    };
  }
}

function domainBody(exception: DomainException): ErrorBody {
  return {
    statusCode: domainStatus(exception),
    error: exception.code,
    message: exception.message,
    ...(exception.fields ? { fields: exception.fields } : {}),
  };
}

function domainStatus(exception: DomainException): number {
  if (exception instanceof IdentityException) return identityStatus(exception.code);
  if (exception instanceof AccessException) return accessStatus(exception.code);
  if (exception instanceof AccountsException) return accountsStatus(exception.code);
  if (exception instanceof IntakeException) return intakeStatus(exception.code);
  if (exception instanceof CaseException) return caseStatus(exception.code);
  if (exception instanceof ContactsException) return contactsStatus(exception.code);
  if (exception instanceof StaffingException) return staffingStatus(exception.code);
  if (exception instanceof EmergencyException) return emergencyStatus(exception.code);
  if (exception instanceof NotificationsException) return notificationsStatus(exception.code);
  if (exception instanceof StatisticsException) return statisticsStatus(exception.code);
  if (exception instanceof CustodyException) return custodyStatus(exception.code);
  if (exception instanceof ReferralException) return referralStatus(exception.code);
  return 500;
}

function referralStatus(code: ReferralError): number {
  switch (code) {
    case ReferralError.RecordUnreadable:
      return 500;
  }
}

function custodyStatus(code: CustodyError): number {
  switch (code) {
    case CustodyError.MalformedShare:
    case CustodyError.ForeignShare:
    case CustodyError.CheckFailed:
    case CustodyError.BadParameters:
      return 400;
    case CustodyError.AlreadyInitialised:
    case CustodyError.FileCustody:
    case CustodyError.TamperedRecord:
    case CustodyError.NotInitialised:
      return 409;
  }
}

/** What every API route but health and unsealing answers while the keys are not in memory. */
export const SEALED_BODY: ErrorBody = {
  statusCode: 503,
  error: 'sealed',
  message:
    'Mayak is sealed: its keys are not in memory. Key holders must unseal it before anyone can work.',
};

function intakeStatus(code: IntakeError): number {
  switch (code) {
    case IntakeError.ConsentMissing:
    case IntakeError.ReferralInvalid:
      return 400;
    case IntakeError.IdempotencyKeyReused:
      return 422;
    case IntakeError.TooManyLookups:
      return 429;
  }
}

function caseStatus(code: CaseError): number {
  switch (code) {
    case CaseError.InvalidState:
      return 409;
    case CaseError.SelfAssignment:
    case CaseError.GranterAssignment:
      return 403;
    case CaseError.InvalidAssignee:
      return 400;
    case CaseError.RecordUnreadable:
      return 500;
    case CaseError.TooManyDeclines:
      return 429;
    case CaseError.NoContactBack:
    case CaseError.FollowUpClosed:
    case CaseError.HandoverPending:
      return 409;
    case CaseError.InvalidFollowUpDate:
    case CaseError.InvalidColleague:
      return 400;
  }
}

function contactsStatus(code: ContactsError): number {
  switch (code) {
    case ContactsError.RecordUnreadable:
      return 500;
  }
}

function emergencyStatus(code: EmergencyError): number {
  switch (code) {
    case EmergencyError.AlreadyAcknowledged:
    case EmergencyError.CaseClosed:
      return 409;
    case EmergencyError.WrongTierRole:
    case EmergencyError.NotAnOccurrence:
    case EmergencyError.ReplacementTooFar:
      return 400;
    case EmergencyError.ShiftNotFound:
    case EmergencyError.RecurrenceNotFound:
      return 404;
  }
}

function notificationsStatus(code: NotificationsError): number {
  switch (code) {
    case NotificationsError.BadWebhookUrl:
      return 400;
  }
}

function statisticsStatus(code: StatisticsError): number {
  switch (code) {
    case StatisticsError.ThresholdTooLow:
    case StatisticsError.InvalidTable:
    case StatisticsError.InvalidQuery:
      return 400;
  }
}

function staffingStatus(code: StaffingError): number {
  switch (code) {
    case StaffingError.NotCaseStaff:
      return 400;
  }
}

function identityStatus(code: IdentityError): number {
  switch (code) {
    case IdentityError.InvalidCredentials:
    case IdentityError.TotpEnrolmentRequired:
    case IdentityError.Unauthenticated:
      return 401;
    case IdentityError.AlreadyEnrolled:
    case IdentityError.UsernameTaken:
    case IdentityError.CannotChangeOwnAccount:
      return 409;
    case IdentityError.UserNotFound:
      return 404;
    case IdentityError.PasskeyRequired:
      return 401;
    case IdentityError.DuressNotAllowed:
    case IdentityError.ReauthenticationFailed:
    case IdentityError.ReauthenticationRequired:
    case IdentityError.PasskeyRegistrationRequired:
      return 403;
    case IdentityError.PasskeyNotFound:
      return 404;
    case IdentityError.LastPasskey:
      return 409;
    case IdentityError.PasskeyInvalid:
      return 400;
    case IdentityError.DuressSameAsPassword:
    case IdentityError.CurrentPasswordWrong:
    case IdentityError.PasswordUnchanged:
    case IdentityError.EnrolmentCodeInvalid:
      return 400;
    case IdentityError.SignInThrottled:
      return 429;
  }
}

function accountsStatus(code: AccountsError): number {
  switch (code) {
    case AccountsError.GrantOwnProposal:
    case AccountsError.GrantOwnAccount:
    case AccountsError.GrantSameSide:
      return 403;
    case AccountsError.GranteeNotEnrolled:
    case AccountsError.RoleHeld:
      return 409;
    case AccountsError.NotTwoPersonRole:
      return 400;
  }
}

function accessStatus(code: AccessError): number {
  switch (code) {
    case AccessError.Forbidden:
    case AccessError.ReauthenticationRequired:
      return 403;
    case AccessError.NotFound:
      return 404;
  }
}

const HTTP_CODES: Record<number, [string, string]> = {
  400: ['bad_request', 'The request is not valid.'],
  401: ['unauthenticated', 'Sign in first.'],
  403: ['forbidden', 'Your role does not allow this.'],
  404: ['not_found', 'Not found.'],
  405: ['method_not_allowed', 'That method is not allowed here.'],
  406: ['not_acceptable', 'That representation is not available.'],
  408: ['request_timeout', 'The request took too long to arrive.'],
  409: ['conflict', 'The request conflicts with the current state.'],
  413: ['payload_too_large', 'The request body is too large.'],
  414: ['uri_too_long', 'The address is too long.'],
  415: ['unsupported_media_type', 'Send JSON (Content-Type: application/json).'],
  429: ['too_many_requests', 'Too many requests; slow down.'],
  431: ['headers_too_large', 'The request headers are too large.'],
  503: ['unavailable', 'The service is briefly unavailable; try again.'],
};

function httpBody(status: number): ErrorBody {
  const [error, message] =
    HTTP_CODES[status] ??
    (status < 500 ? HTTP_CODES[400] : ['internal_error', 'Something went wrong on our side.']);
  return {
    statusCode: status in HTTP_CODES || status >= 500 ? status : HttpStatus.BAD_REQUEST,
    error,
    message,
  };
}
