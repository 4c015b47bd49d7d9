import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInt } from './query-int';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Keyset pagination, newest first: pass the last id you received as before_id. */
export class PageQueryDto {
  @ApiPropertyOptional({ example: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @QueryInt()
  @Max(MAX_PAGE_SIZE)
  @Min(1)
  @IsInt({ message: `limit must be an integer from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ example: 1200, description: 'Only rows with an id below this one (the last id of the previous page)' })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @IsInt({ message: 'before_id must be a positive integer' })
  before_id?: number;
}
