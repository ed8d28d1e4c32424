"""Domain errors of the oversight package."""

from publicity.core.errors import N_, DomainError


class OversightError(DomainError):
    """A rule of the oversight process refused the operation."""

    message = N_("The oversight operation was refused.")


class InvitationUnusable(OversightError):
    message = N_("This invitation link is not valid.")


class InvitationExpired(InvitationUnusable):
    message = N_("This invitation expired. Ask the judge to invite you again.")


class InvitationCancelled(InvitationUnusable):
    message = N_("The judge cancelled this invitation.")


class InvitationAnswered(InvitationUnusable):
    message = N_("This invitation has already been answered.")


class AlreadyInvited(OversightError):
    message = N_("%(name)s is already invited to this case.")


class TooManyOverseers(OversightError):
    message = N_("A case has at most %(limit)s overseers.")


class OverseerInactive(OversightError):
    message = N_("%(name)s is not an active overseer of this court.")


class NotSupervised(OversightError):
    message = N_("This case is not under oversight.")


class CardSubmitted(OversightError):
    message = N_("A submitted card cannot be changed; file an amendment instead.")


class CardNotSubmitted(OversightError):
    message = N_("The card has not been submitted yet.")


class CardIncomplete(OversightError):
    message = N_("Rate every dimension and the overall impression before submitting.")


class CommentRequired(OversightError):
    message = N_("Write a comment: it is required when any rating is 不满意 (unsatisfied).")


class CardExists(OversightError):
    message = N_("You have already submitted a card for this; amend it instead.")


class AlreadyAnswered(OversightError):
    message = N_("This has already been answered.")


class ActionClosed(OversightError):
    message = N_("This on-site action is over or cancelled.")


class ActionCancelled(ActionClosed):
    message = N_("This on-site action has already been cancelled.")


class ActionMoved(OversightError):
    message = N_("The time of this on-site action has just been changed. Look at the new time and answer again.")


class ActionInPast(OversightError):
    message = N_("An on-site action must be scheduled later than now (%(limit)s).")


class CaseEnded(OversightError):
    message = N_("The case is closed (结案 or 终本): no on-site action can be scheduled.")


class ActionNotYetHeld(OversightError):
    message = N_("The outcome can be recorded once the action has taken place.")


class CaseStillOpen(OversightError):
    message = N_("The closure report can be filed once the case is closed (结案 or 终本).")


class ReportAlreadyFiled(OversightError):
    message = N_("The closure report has already been filed.")


class ReportMissing(OversightError):
    message = N_("No closure report has been filed yet.")


class PhoneOfStaff(OversightError):
    message = N_(
        "The mobile number %(phone)s belongs to %(owner)s: the roster cannot hold the phone of the court's own staff."
    )


class EmailOfStaff(OversightError):
    message = N_(
        "The email address %(email)s belongs to %(owner)s: the roster cannot hold the email of the court's own staff."
    )


class InviteeIsInviter(OversightError):
    message = N_("%(name)s cannot be invited: their phone or email is that of your own account.")


class InviteeIsStaff(OversightError):
    message = N_("%(name)s cannot be invited: their phone or email is that of %(owner)s, of the court's staff.")
