import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from './password-hasher';
import { SessionService } from './session.service';
import { SignInService } from './sign-in.service';
import { SignInThrottle } from './sign-in-throttle';
import { StaffNames, UsernameSealing } from './staff-names';
import { UserEntity } from './user.entity';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  providers: [
    PasswordHasher,
    SessionService,
    SignInService,
    SignInThrottle,
    StaffNames,
    UsernameSealing,
  ],
  exports: [
    PasswordHasher,
    SessionService,
    SignInService,
    StaffNames,
    UsernameSealing,
    TypeOrmModule,
  ],
})
export class IdentityModule {}
