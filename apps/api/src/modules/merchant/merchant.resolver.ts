import { MaxLength } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Directive, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import { IsEmailAddress } from '../../kit/graphql/validators.js';
import type { MerchantContext } from './merchant.context.js';
import type { MerchantService } from './merchant.service.js';
import {
  MerchantSettingsInput,
  MerchantType,
  StaffMemberType,
  StaffSignInType,
  SupervisorSessionType,
  ViewerType,
} from './merchant.types.js';
import type { MerchantSettingsService } from './merchant-settings.service.js';
import type { StaffService } from './staff.service.js';
import { StaffRole } from './staff-member.entity.js';
import type { StaffSessionService } from './staff-session.service.js';
import type { SupervisorService } from './supervisor.service.js';

@ArgsType()
class InviteStaffMemberArgs {
  @Field()
  @MaxLength(200)
  name!: string;

  @Field()
  @IsEmailAddress({ message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @Field(() => StaffRole)
  role!: StaffRole;
}

/** What these resolvers use of a request's context. */
export type Context = MerchantContext<
  {
    merchants: MerchantService;
    merchantSettings: MerchantSettingsService;
    staff: StaffService;
    staffSessions: StaffSessionService;
    supervisor: SupervisorService;
  },
  unknown
>;

@Resolver(() => MerchantType)
export class MerchantResolver {
  @Query(() => MerchantType, { description: 'The merchant of the API key or staff session.' })
  async merchant(@Ctx() ctx: Context): Promise<MerchantType> {
    return MerchantType.from(await ctx.services.merchants.current(ctx.actor), ctx.settings.publicApiUrl);
  }

  @Query(() => ViewerType, { description: 'Who is calling: the signed-in person (name, email, role) or the API key.' })
  async viewer(@Ctx() ctx: Context): Promise<ViewerType> {
    const merchant = MerchantType.from(await ctx.services.merchants.current(ctx.actor), ctx.settings.publicApiUrl);
    const { credential } = ctx.actor;
    if (credential.kind === 'api_key') {
      return { merchant, staffMember: null, apiKeyPrefix: credential.prefix, sessionExpiresAt: null, sessionIdleTimeoutSeconds: null };
    }
    const [member, session] = await Promise.all([
      ctx.services.staff.find(ctx.actor, credential.staff.id),
      ctx.services.staffSessions.session(ctx.actor),
    ]);
    return {
      merchant,
      staffMember: member && StaffMemberType.from(member),
      apiKeyPrefix: null,
      sessionExpiresAt: session?.expiresAt ?? null,
      sessionIdleTimeoutSeconds: ctx.settings.staffSessionIdleMinutes * 60,
    };
  }

  @Mutation(() => SupervisorSessionType, {
    description:
      "Returns a short-lived supervisor token, bound to the calling key or session. The merchant's supervisor password works for every caller; a SUPERVISOR staff member may use their own password. Wrong passwords are rate-limited and audited.",
  })
  async elevateSupervisor(@Arg('password') password: string, @Ctx() ctx: Context): Promise<SupervisorSessionType> {
    return ctx.services.supervisor.elevate(ctx.actor, password);
  }

  @Mutation(() => Boolean, {
    description:
      'Ends every supervisor session of the merchant. Refused to STAFF members; a wrong current password costs an attempt like elevateSupervisor.',
  })
  async changeSupervisorPassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.supervisor.changePassword(ctx.actor, currentPassword, newPassword);
    return true;
  }

  @Mutation(() => MerchantType, {
    description: 'Display name, support email, accent colour and logo. Supervised; refused to STAFF members.',
  })
  @Directive('@supervisor')
  async updateMerchantSettings(@Arg('input') input: MerchantSettingsInput, @Ctx() ctx: Context): Promise<MerchantType> {
    return MerchantType.from(await ctx.services.merchantSettings.update(ctx.actor, input), ctx.settings.publicApiUrl);
  }

  @Query(() => [StaffMemberType], { description: "The merchant's people, alphabetical." })
  @Directive('@supervisor')
  async staffMembers(@Ctx() ctx: Context): Promise<StaffMemberType[]> {
    return (await ctx.services.staff.list(ctx.actor)).map(StaffMemberType.from);
  }

  @Mutation(() => StaffMemberType, {
    description:
      'Emails a single-use link to set a password on the console. Inviting a pending email again sends a fresh link. Refused to STAFF members.',
  })
  @Directive('@supervisor')
  async inviteStaffMember(@Args() args: InviteStaffMemberArgs, @Ctx() ctx: Context): Promise<StaffMemberType> {
    return StaffMemberType.from(await ctx.services.staff.invite(ctx.actor, args));
  }

  @Mutation(() => Boolean, { description: 'Their sessions end at once. Refused to STAFF members.' })
  @Directive('@supervisor')
  async removeStaffMember(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    await ctx.services.staff.remove(ctx.actor, id);
    return true;
  }

  @Mutation(() => StaffSignInType, {
    description:
      'No credential needed. The same INVALID_CREDENTIALS for an unknown email and a wrong password; limited per email and per client address. An email with accounts at several merchants answers MERCHANT_CHOICE_REQUIRED: sign in again with merchantId.',
  })
  async signIn(
    @Arg('email') email: string,
    @Arg('password') password: string,
    @Ctx() ctx: Context,
    @Arg('merchantId', () => ID, { nullable: true }) merchantId?: string,
  ): Promise<StaffSignInType> {
    const signedIn = await ctx.services.staffSessions.signIn({ email, password, merchantId });
    return { ...signedIn, staffMember: StaffMemberType.from(signedIn.staffMember) };
  }

  @Mutation(() => StaffSignInType, { description: 'No credential needed: sets the password from an invitation link (once) and signs in.' })
  async acceptStaffInvitation(
    @Arg('token') token: string,
    @Arg('password') password: string,
    @Ctx() ctx: Context,
  ): Promise<StaffSignInType> {
    const signedIn = await ctx.services.staffSessions.acceptInvitation(token, password);
    return { ...signedIn, staffMember: StaffMemberType.from(signedIn.staffMember) };
  }

  @Mutation(() => Boolean, { description: 'Ends the calling staff session.' })
  async signOut(@Ctx() ctx: Context): Promise<boolean> {
    await ctx.services.staffSessions.signOut(ctx.actor);
    return true;
  }

  @Mutation(() => Boolean, { description: "The signed-in person's own password; their other sessions end." })
  async changeMyPassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.staffSessions.changeOwnPassword(ctx.actor, currentPassword, newPassword);
    return true;
  }
}

/** Root fields a request without any credential may select (the plugin in anonymous-operations.ts enforces it). */
export const ANONYMOUS_OPERATIONS = new Set(['signIn', 'acceptStaffInvitation']);
