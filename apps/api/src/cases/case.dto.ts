import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { CaseStatus, SERVICES, Service } from '@mayak/access';
import { CASE_OUTCOMES, CaseListView, CaseOutcome } from '@mayak/cases';

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
  @ApiProperty({ format: 'uuid', nullable: true }) assigneeId!: string | null;
}

export class NoteCreatedResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
}
