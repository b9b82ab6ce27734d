import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class UnsealRequest {
  @ApiProperty({ description: 'One key holder’s share, as `custody init` printed it' })
  @IsString()
  @Length(40, 500)
  share!: string;
}

export class UnsealStatusResponse {
  @ApiProperty() sealed!: boolean;
  @ApiProperty({ description: 'Shares entered so far towards the threshold' }) progress!: number;
  @ApiProperty({ description: 'Shares needed (k); 0 where custody is not set up' })
  threshold!: number;
  @ApiProperty() initialised!: boolean;
  @ApiProperty({ enum: ['file', 'sealed'] }) custody!: 'file' | 'sealed';
}

export class LockdownResponse {
  @ApiProperty({ example: true }) sealed!: boolean;
}
