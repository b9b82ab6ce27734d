import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MyContact, VolunteerContactsService } from '@mayak/contacts';
import { Actor } from '@mayak/identity';
import { IntakeService } from '@mayak/intake';
import { CurrentActor } from '../http/request-context';
import { IdempotencyKey } from '../http/idempotency-key';
import {
  CallerLookupRequest,
  CallerLookupResponse,
  CreateContactRequest,
  IntakeReceiptResponse,
  MyContactResponse,
  SavedUnderKeyRequest,
  SavedUnderKeyResponse,
} from './contact.dto';

@ApiTags('intake')
@Controller()
export class ContactsController {
  constructor(
    private readonly intake: IntakeService,
    private readonly contacts: VolunteerContactsService,
  ) {}

  @ApiCreatedResponse({ type: IntakeReceiptResponse })
  @Post('contacts')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retried submit with the same key returns the first answer',
  })
  create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateContactRequest,
    @IdempotencyKey() key: string | undefined,
  ): Promise<IntakeReceiptResponse> {
    return this.intake.log(actor, body, key);
  }

  /**
   * Was a save sent with this Idempotency-Key stored, and as which contact? Asked by the form
   * when a save's answer was lost or its key was refused as reused. Only the volunteer's own
   * keys; the key travels in the body, never in an address.
   */
  @ApiOkResponse({ type: SavedUnderKeyResponse })
  @Post('contacts/saved-under-key')
  @HttpCode(200)
  savedUnderKey(
    @CurrentActor() actor: Actor,
    @Body() body: SavedUnderKeyRequest,
  ): Promise<SavedUnderKeyResponse> {
    return this.intake.savedUnder(actor, body.idempotencyKey);
  }

  @ApiOkResponse({ type: [MyContactResponse] })
  @Get('contacts/mine')
  mine(@CurrentActor() actor: Actor): Promise<MyContact[]> {
    return this.contacts.listMine(actor);
  }

  @ApiOkResponse({ type: CallerLookupResponse })
  @Post('callers/lookup')
  @HttpCode(200)
  lookup(
    @CurrentActor() actor: Actor,
    @Body() body: CallerLookupRequest,
  ): Promise<CallerLookupResponse> {
    return this.intake.lookup(actor, body.identifier);
  }
}
