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

const VIEWS: CaseListView[] = ['mine', 'pool', 'board'];
const STATUSES: CaseStatus[] = ['queued', 'assigned', 'in_progress', 'closed'];

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

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of: ${STATUSES.join(', ')}` })
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

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of: ${STATUSES.join(', ')}` })
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
  @ApiProperty({ enum: STATUSES }) status!: string;
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
  @ApiProperty({ enum: STATUSES }) status!: string;
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
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assigneeId!: string | null;
}

export class NoteCreatedResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
}
