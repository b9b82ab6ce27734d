import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxDate,
  Min,
  MinDate,
  ValidateIf,
} from 'class-validator';
import { CaseStatus, SERVICES, Service } from '@mayak/access';
import {
  CASE_OUTCOMES,
  CaseListView,
  CaseOutcome,
  CaseSearchScope,
  CaseSortField,
  SortOrder,
} from '@mayak/cases';
import { REGIONS, TOPICS } from '@mayak/intake';
import { FollowUpResponse } from './follow-up.dto';

const VIEWS: CaseListView[] = ['mine', 'pool', 'board'];
/** Every status a case can be in. */
export const CASE_STATUSES: CaseStatus[] = ['queued', 'assigned', 'in_progress', 'closed'];

export class ListCasesQuery {
  @ApiProperty({
    enum: VIEWS,
    description:
      'mine: assigned to me; pool: waiting in my service; board: all open (coordinators)',
  })
  @IsIn(VIEWS, { message: `view must be one of: ${VIEWS.join(', ')}` })
  view!: CaseListView;

  @ApiPropertyOptional({ enum: SERVICES })
  @IsOptional()
  @IsIn(SERVICES, { message: `service must be one of: ${SERVICES.join(', ')}` })
  service?: Service;

  @ApiPropertyOptional({ enum: CASE_STATUSES })
  @IsOptional()
  @IsIn(CASE_STATUSES, { message: `status must be one of: ${CASE_STATUSES.join(', ')}` })
  status?: CaseStatus;
}

const SEARCH_SCOPES: CaseSearchScope[] = ['mine', 'board'];
const SORT_FIELDS: CaseSortField[] = ['opened', 'due', 'priority'];
const ORDERS: SortOrder[] = ['asc', 'desc'];
const dateMessage = (name: string) => ({ message: `${name} must be an ISO 8601 date-time` });
/** No case is older than the helpline or due beyond this century: outside, a 400, never SQL. */
const EARLIEST = new Date('2000-01-01T00:00:00Z');
const LATEST = new Date('2100-01-01T00:00:00Z');
const notBefore = (name: string) => ({ message: `${name} must be in 2000 or later` });
const before = (name: string) => ({ message: `${name} must be before 2100` });

/** An optional search date: ISO 8601, in 2000–2099, each refusal naming the field. */
function SearchDate(name: string, description: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', description }),
    IsOptional(),
    Type(() => Date),
    IsDate(dateMessage(name)),
    MinDate(EARLIEST, notBefore(name)),
    MaxDate(LATEST, before(name)),
  );
}

/**
 * A search over one's cases. Every filter is a code or a date, never free text: the query
 * string ends up in logs and browser history.
 */
export class SearchCasesQuery {
  @ApiProperty({
    enum: SEARCH_SCOPES,
    description: 'mine: my cases, any status; board: every case, metadata only (coordinators)',
  })
  @IsIn(SEARCH_SCOPES, { message: `scope must be one of: ${SEARCH_SCOPES.join(', ')}` })
  scope!: CaseSearchScope;

  @ApiPropertyOptional({ enum: SERVICES })
  @IsOptional()
  @IsIn(SERVICES, { message: `service must be one of: ${SERVICES.join(', ')}` })
  service?: Service;

  @ApiPropertyOptional({ enum: CASE_STATUSES })
  @IsOptional()
  @IsIn(CASE_STATUSES, { message: `status must be one of: ${CASE_STATUSES.join(', ')}` })
  status?: CaseStatus;

  @ApiPropertyOptional({ enum: REGIONS })
  @IsOptional()
  @IsIn(REGIONS, { message: 'region must be a region code' })
  region?: string;

  @ApiPropertyOptional({ enum: TOPICS, description: 'Not on the board: metadata has no topics' })
  @IsOptional()
  @IsIn(TOPICS, { message: 'topic must be a topic code' })
  topic?: string;

  @SearchDate('openedFrom', 'Opened at or after')
  openedFrom?: Date;

  @SearchDate('openedTo', 'Opened before')
  openedTo?: Date;

  @SearchDate('dueFrom', 'Due at or after')
  dueFrom?: Date;

  @SearchDate('dueTo', 'Due before')
  dueTo?: Date;

  @ApiPropertyOptional({ type: Boolean, description: 'Only open cases past their due time' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiPropertyOptional({ enum: SORT_FIELDS, default: 'opened' })
  @IsOptional()
  @IsIn(SORT_FIELDS, { message: `sort must be one of: ${SORT_FIELDS.join(', ')}` })
  sort: CaseSortField = 'opened';

  @ApiPropertyOptional({ enum: ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(ORDERS, { message: `order must be one of: ${ORDERS.join(', ')}` })
  order: SortOrder = 'desc';

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 25 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(100, { message: 'limit must be at most 100' })
  limit: number = 25;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number' })
  @Min(0, { message: 'offset must not be negative' })
  @Max(100_000, { message: 'offset must be at most 100000' })
  offset: number = 0;
}

export class CaseSearchItem {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
  @ApiProperty() priority!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) region?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) ageBand?: string | null;
  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Not on the board' })
  topics?: string[] | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  dueAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  assignedAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Board only' })
  assigneeId?: string | null;
}

export class CaseSearchResponse {
  @ApiProperty({ type: [CaseSearchItem] }) items!: CaseSearchItem[];
  @ApiProperty({ description: 'Matches over every page' }) total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ description: 'Only the newest cases in scope were searched: narrow the dates' })
  truncated!: boolean;
}

export class EarlierCaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: '2026-11-30', description: 'The day it was opened, not the time' })
  openedOn!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
  @ApiProperty({ enum: CASE_OUTCOMES, nullable: true }) outcome!: string | null;
  @ApiProperty({ description: 'Assigned to the reader' }) mine!: boolean;
}

export class AddNoteRequest {
  @ApiProperty({
    maxLength: 20000,
    description: 'Encrypted at rest; seen only by this case’s assignee',
  })
  @IsString()
  @Length(1, 20_000)
  text!: string;
}

export class CloseCaseRequest {
  @ApiProperty({ enum: CASE_OUTCOMES })
  @IsIn(CASE_OUTCOMES, { message: `outcome must be one of: ${CASE_OUTCOMES.join(', ')}` })
  outcome!: CaseOutcome;
}

export class ReassignRequest {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null puts the case back in its pool',
  })
  @ValidateIf((_, value) => value !== null)
  @IsUUID('all', { message: 'userId must be a UUID or null' })
  userId!: string | null;
}

export class CaseStatusResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CASE_STATUSES }) status!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId!: string | null;
}

export class NoteCreatedResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
}

/*
 * The answers of GET /api/cases and GET /api/cases/:id. The service shapes each answer by the
 * reader's view of the policy (CASE_FIELDS in libs/access): these classes describe every field
 * a view can carry, so a field that a view leaves out is optional here.
 */

/** GET /api/cases?view=mine: my open cases, with the next call back I planned. */
export class MyCaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: Service;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiProperty({ description: '0 is the most urgent' }) priority!: number;
  @ApiProperty({ type: String, nullable: true, description: 'null if its facts do not open' })
  region!: string | null;
  @ApiProperty({ type: String, nullable: true }) ageBand!: string | null;
  @ApiProperty({ type: [String], nullable: true }) topics!: string[] | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) assignedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'The day of the earliest open follow-up',
  })
  followUpDue!: string | null;
}

/** GET /api/cases?view=pool: metadata only until someone claims it. */
export class PoolCaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: Service;
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty({ type: [String], nullable: true }) topics!: string[] | null;
  @ApiProperty({ type: String, nullable: true }) ageBand!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'Since it was opened' }) waitingSeconds!: number;
}

/** GET /api/cases?view=board (coordinators): metadata, never content. */
export class BoardCaseResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: Service;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiProperty() priority!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId!: string | null;
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty({ type: String, nullable: true }) ageBand!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) assignedAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Null until someone acknowledges (emergencies) or accepts the case',
  })
  acknowledgedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dueAt!: string | null;
}

export class TimelineEntryResponse {
  @ApiProperty({ type: String, format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'claimed', description: 'What happened: created, routed, claimed…' })
  type!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Codes and ids only, never personal data',
  })
  detail!: Record<string, unknown>;
}

export class CaseNoteResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) authorId!: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null when erased' })
  text!: string | null;
  @ApiProperty({ description: 'Consent withdrawn or retention passed' }) erased!: boolean;
}

export class CaseCallerResponse {
  @ApiProperty({ type: String, nullable: true }) pseudonym!: string | null;
  @ApiProperty({ type: String, nullable: true }) ageBand!: string | null;
  @ApiProperty({ type: String, nullable: true }) genderIdentity!: string | null;
  @ApiProperty({ type: String, nullable: true }) orientation!: string | null;
}

export class ContactBackDetailsResponse {
  @ApiProperty() channel!: string;
  @ApiProperty() safeTimes!: string;
}

export class CaseContactBackResponse {
  @ApiProperty({ description: 'How to reach the caller: their number or handle' })
  identifier!: string;
  @ApiProperty({ type: ContactBackDetailsResponse, nullable: true })
  contactBack!: ContactBackDetailsResponse | null;
}

/** The contact that raised a case, as far as the caller's consent covers it. */
export class CaseContactResponse {
  @ApiProperty() channel!: string;
  @ApiProperty({ type: String, format: 'date-time' }) startedAt!: string;
  @ApiProperty() durationSeconds!: number;
  @ApiProperty() region!: string;
  @ApiProperty({ type: CaseCallerResponse }) caller!: CaseCallerResponse;
  @ApiProperty({ type: [String] }) topics!: string[];
  @ApiProperty() immediateRisk!: boolean;
  @ApiProperty({ type: String, nullable: true }) summary!: string | null;
  @ApiProperty() outcome!: string;
  @ApiProperty({
    enum: SERVICES,
    isArray: true,
    description: 'Of the services the caller sought, only the case’s own',
  })
  services!: Service[];
  @ApiProperty({ type: [String], description: 'Entries of the referral directory' })
  referralIds!: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [String], description: 'Encrypted fields that no longer exist' })
  erased!: string[];
  @ApiPropertyOptional({
    type: CaseContactBackResponse,
    description: 'Only under contact_back consent',
  })
  contactBack?: CaseContactBackResponse;
}

export class BreakGlassAccessResponse {
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
}

export class HandoverResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) fromId!: string;
  @ApiProperty({ type: String, nullable: true }) fromName!: string | null;
  @ApiProperty({ format: 'uuid' }) toId!: string;
  @ApiProperty({ type: String, nullable: true }) toName!: string | null;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) offeredAt!: string;
}

/**
 * GET /api/cases/:id. Each part is present only as far as the reader may see it: a
 * coordinator gets metadata and the timeline, an assignee the contact and notes too.
 */
export class CaseDetailResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SERVICES }) service!: Service;
  @ApiProperty({ enum: CASE_STATUSES }) status!: CaseStatus;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional() priority?: number;
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  assigneeId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) region?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) ageBand?: string | null;
  @ApiPropertyOptional({ type: [String], nullable: true }) topics?: string[] | null;
  @ApiPropertyOptional({ type: String, format: 'date-time' }) updatedAt?: string;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  assignedAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  closedAt?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  dueAt?: string | null;
  @ApiPropertyOptional({ enum: CASE_OUTCOMES, nullable: true }) outcome?: string | null;
  @ApiPropertyOptional({ type: [TimelineEntryResponse] }) timeline?: TimelineEntryResponse[];
  @ApiPropertyOptional({ type: [CaseNoteResponse] }) notes?: CaseNoteResponse[];
  @ApiPropertyOptional({ type: CaseContactResponse, nullable: true })
  contact?: CaseContactResponse | null;
  @ApiPropertyOptional({ format: 'uuid', description: 'The caller, for the assignee' })
  callerId?: string;
  @ApiPropertyOptional({
    type: BreakGlassAccessResponse,
    description: 'Read beyond the caller’s consent: until when',
  })
  breakGlass?: BreakGlassAccessResponse;
  @ApiPropertyOptional({
    type: [String],
    description: 'After the caller withdrew consent: what existed and was destroyed',
  })
  erased?: string[];
  @ApiPropertyOptional({
    enum: ['no_consent'],
    description:
      'The caller never consented to this service: nothing was destroyed, the content is withheld; break-glass opens it',
  })
  withheld?: 'no_consent';
  @ApiPropertyOptional({ type: [FollowUpResponse], description: 'The assignee’s call backs' })
  followUps?: FollowUpResponse[];
  @ApiPropertyOptional({
    type: HandoverResponse,
    nullable: true,
    description:
      'The pending offer of this case to a colleague, to its sender and to the colleague',
  })
  handover?: HandoverResponse | null;
}
