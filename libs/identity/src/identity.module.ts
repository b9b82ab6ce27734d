import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnrolmentService } from './enrolment.service';
import { PasskeyService } from './passkeys.service';
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
    EnrolmentService,
    PasskeyService,
    PasswordHasher,
    SessionService,
    SignInService,
    SignInThrottle,
    StaffNames,
    UsernameSealing,
  ],
  exports: [
    EnrolmentService,
    PasskeyService,
    PasswordHasher,
    SessionService,
    SignInService,
    StaffNames,
    UsernameSealing,
    TypeOrmModule,
  ],
})
export class IdentityModule {}
