import { Module } from '@nestjs/common';
import { AccountAdminService } from './account-admin.service';

@Module({ providers: [AccountAdminService], exports: [AccountAdminService] })
export class AccountsModule {}
