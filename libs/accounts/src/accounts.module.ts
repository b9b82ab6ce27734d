import { Module } from '@nestjs/common';
import { NotificationsModule } from '@mayak/notifications';
import { AccountAdminService } from './account-admin.service';
import { RoleGrantsService } from './role-grants.service';

/** Notifications are imported here: the command line, which makes accounts too, has no other use for them. */
@Module({
  imports: [NotificationsModule],
  providers: [AccountAdminService, RoleGrantsService],
  exports: [AccountAdminService, RoleGrantsService],
})
export class AccountsModule {}
