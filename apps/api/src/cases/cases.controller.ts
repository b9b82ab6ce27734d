import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  CallerCasesService,
  CaseLifecycleService,
  CaseNotesService,
  CaseQueriesService,
  CaseSearchPage,
  CaseSearchService,
} from '@mayak/cases';
import { Actor } from '@mayak/identity';
import { UuidParam } from '../http/params';
import { CurrentActor } from '../http/request-context';
import {
  AddNoteRequest,
  BoardCaseResponse,
  CaseDetailResponse,
  CaseSearchResponse,
  CaseStatusResponse,
  EarlierCaseResponse,
  CloseCaseRequest,
  ListCasesQuery,
  MyCaseResponse,
  NoteCreatedResponse,
  PoolCaseResponse,
  ReassignRequest,
  SearchCasesQuery,
} from './case.dto';

@ApiTags('cases')
@Controller('cases')
export class CasesController {
  constructor(
    private readonly queries: CaseQueriesService,
    private readonly lifecycle: CaseLifecycleService,
    private readonly notes: CaseNotesService,
    private readonly searching: CaseSearchService,
    private readonly callerCases: CallerCasesService,
  ) {}

  /** Filtered, sorted and paged: my cases, or (coordinators) every case's metadata. */
  @Get('search')
  @ApiOkResponse({ type: CaseSearchResponse })
  search(@CurrentActor() actor: Actor, @Query() query: SearchCasesQuery): Promise<CaseSearchPage> {
    return this.searching.search(actor, query);
  }

  /** One shape per view: MyCaseResponse (mine), PoolCaseResponse (pool), BoardCaseResponse. */
  @Get()
  @ApiExtraModels(MyCaseResponse, PoolCaseResponse, BoardCaseResponse)
  @ApiOkResponse({
    schema: {
      type: 'array',
      items: {
        oneOf: [MyCaseResponse, PoolCaseResponse, BoardCaseResponse].map((model) => ({
          $ref: getSchemaPath(model),
        })),
      },
    },
  })
  list(
    @CurrentActor() actor: Actor,
    @Query() query: ListCasesQuery,
  ): Promise<Array<Record<string, unknown>>> {
    return this.queries.list(actor, query.view, { service: query.service, status: query.status });
  }

  @Get(':id')
  @ApiOkResponse({ type: CaseDetailResponse })
  read(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<Record<string, unknown>> {
    return this.queries.read(actor, id);
  }

  /** The caller's earlier cases in this case's service, as metadata. */
  @Get(':id/earlier-cases')
  @ApiOkResponse({ type: [EarlierCaseResponse] })
  earlierCases(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
  ): Promise<EarlierCaseResponse[]> {
    return this.callerCases.earlier(actor, id);
  }

  @ApiOkResponse({ type: CaseStatusResponse })
  @Post(':id/claim')
  @HttpCode(200)
  claim(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<CaseStatusResponse> {
    return this.lifecycle.claim(actor, id);
  }

  @ApiOkResponse({ type: CaseStatusResponse })
  @Post(':id/accept')
  @HttpCode(200)
  accept(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<CaseStatusResponse> {
    return this.lifecycle.accept(actor, id);
  }

  @ApiOkResponse({ type: CaseStatusResponse })
  @Post(':id/decline')
  @HttpCode(200)
  decline(@CurrentActor() actor: Actor, @UuidParam() id: string): Promise<CaseStatusResponse> {
    return this.lifecycle.decline(actor, id);
  }

  @ApiCreatedResponse({ type: NoteCreatedResponse })
  @Post(':id/notes')
  addNote(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: AddNoteRequest,
  ): Promise<NoteCreatedResponse> {
    return this.notes.add(actor, id, body.text);
  }

  @ApiOkResponse({ type: CaseStatusResponse })
  @Post(':id/close')
  @HttpCode(200)
  close(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: CloseCaseRequest,
  ): Promise<CaseStatusResponse> {
    return this.lifecycle.close(actor, id, body.outcome);
  }

  @ApiOkResponse({ type: CaseStatusResponse })
  @Put(':id/assignee')
  reassign(
    @CurrentActor() actor: Actor,
    @UuidParam() id: string,
    @Body() body: ReassignRequest,
  ): Promise<CaseStatusResponse> {
    return this.lifecycle.reassign(actor, id, body.userId);
  }
}
