import { IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { brandingOf, type MerchantBranding } from './branding.js';
import type { Merchant } from './merchant.entity.js';
import { type StaffMember, StaffRole } from './staff-member.entity.js';

registerEnumType(StaffRole, {
  name: 'StaffRole',
  valuesConfig: {
    STAFF: {
      description:
        'Everyday work; supervised operations need the merchant supervisor password, and administration (staff, settings, the supervisor password) is refused.',
    },
    SUPERVISOR: { description: 'May elevate with their own password, and administer staff, settings and the supervisor password.' },
  },
});

@ObjectType('MerchantSettings', { description: 'How customers see the merchant: the checkout pages and every email.' })
export class MerchantSettingsType implements MerchantBranding {
  @Field({ description: 'The name customers see; the same as Merchant.name.' })
  displayName!: string;

  @Field(() => String, {
    nullable: true,
    description: "Reply-To of every email to the merchant's customers, and the support address they show.",
  })
  supportEmail!: string | null;

  @Field(() => String, { nullable: true, description: '#rrggbb' })
  accentColor!: string | null;

  @Field(() => String, { nullable: true, description: 'Black or white, whichever is readable on accentColor (WCAG contrast).' })
  accentTextColor!: string | null;

  @Field(() => String, { nullable: true, description: 'Served by the API, one URL per logo version.' })
  logoUrl!: string | null;
}

@ObjectType('Merchant')
export class MerchantType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => MerchantSettingsType)
  settings!: MerchantSettingsType;

  static from(merchant: Merchant, publicApiUrl: string): MerchantType {
    return { id: merchant.id, name: merchant.name, settings: brandingOf(merchant, publicApiUrl) };
  }
}

@InputType('MerchantSettingsInput', { description: 'Only the fields given change; null (or an empty string) clears an optional one.' })
export class MerchantSettingsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(120)
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(254)
  supportEmail?: string | null;

  @Field(() => String, { nullable: true, description: 'A hex colour, #rgb or #rrggbb.' })
  @IsOptional()
  @MaxLength(7)
  accentColor?: string | null;

  @Field(() => String, { nullable: true, description: 'A data: URL of a PNG, JPEG or SVG image of at most 200 KB; SVG is sanitised.' })
  @IsOptional()
  logo?: string | null;
}

@ObjectType('SupervisorSession', {
  description: 'Send `token` as the X-Supervisor-Token header until `expiresAt`, with the same credential that obtained it.',
})
export class SupervisorSessionType {
  @Field()
  token!: string;

  @Field()
  expiresAt!: Date;
}

@ObjectType('StaffMember')
export class StaffMemberType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  email!: string;

  @Field(() => StaffRole)
  role!: StaffRole;

  @Field(() => Date, { nullable: true })
  lastSignInAt!: Date | null;

  @Field({ description: 'Invited, and no password set yet.' })
  invitationPending!: boolean;

  static from(member: StaffMember): StaffMemberType {
    return {
      id: member.id,
      name: member.name,
      email: member.email,
      role: member.role,
      lastSignInAt: member.lastSignInAt ?? null,
      invitationPending: !member.passwordHash,
    };
  }
}

@ObjectType('StaffSignIn', { description: 'Send `token` as `Authorization: Bearer <token>`, like an API key.' })
export class StaffSignInType {
  @Field()
  token!: string;

  @Field({ description: 'The absolute limit of the session.' })
  expiresAt!: Date;

  @Field(() => Int, { description: 'The session also ends after this long without a request.' })
  idleTimeoutSeconds!: number;

  @Field(() => StaffMemberType)
  staffMember!: StaffMemberType;
}

@ObjectType('Viewer', { description: 'Who the caller is: a person signed in to the console, or an API key.' })
export class ViewerType {
  @Field(() => MerchantType)
  merchant!: MerchantType;

  @Field(() => StaffMemberType, { nullable: true, description: 'Null for an API key.' })
  staffMember!: StaffMemberType | null;

  @Field(() => String, { nullable: true, description: 'Null for a staff session.' })
  apiKeyPrefix!: string | null;

  @Field(() => Date, { nullable: true, description: "A staff session's absolute limit." })
  sessionExpiresAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'A staff session ends after this long without a request.' })
  sessionIdleTimeoutSeconds!: number | null;
}
