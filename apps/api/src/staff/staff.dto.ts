import { ApiProperty } from '@nestjs/swagger';
import { Role, ROLES } from '@mayak/identity';

export class AvailabilityResponse {
  @ApiProperty() onShift!: boolean;
  @ApiProperty({ description: 'How many open cases they can carry' }) capacity!: number;
  @ApiProperty({ type: [String], description: 'Region codes they take cases from; empty: any' })
  regions!: string[];
}

/** GET /api/staff: who can take cases, with their availability and load. */
export class StaffMemberResponse extends AvailabilityResponse {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: Role[];
  @ApiProperty() openCases!: number;
}
