"""Domain errors: the neutral root every area subclasses, and the errors of the record and the public lists.

Each error carries an English message id and parameters; the web layer translates them.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it (extracted by Babel)."""
    return message


class DomainError(Exception):
    """A business rule refused the operation; ``message`` is a translatable id. The root of every area's errors
    (PublicityError below, oversight's OversightError, the portal's AccountError): the web layer catches this one."""

    message = N_("The operation was refused.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        self.message = message or self.message
        self.params = params
        super().__init__(self.message % params if params else self.message)


class PublicityError(DomainError):
    """A rule of the record or of the public lists refused the operation."""


class NotFound(PublicityError):
    message = N_("The record was not found.")


class DuplicateCourt(PublicityError):
    message = N_("A court with code %(code)s already exists.")


class DuplicateCase(PublicityError):
    message = N_("Case %(number)s is already registered.")


class WrongCourt(PublicityError):
    message = N_("Case number %(number)s belongs to court %(code)s, not to this court.")


class IllegalTransition(PublicityError):
    """A node that the case's state does not allow."""

    message = N_("This step is not allowed now.")


class CaseClosed(IllegalTransition):
    message = N_("The case is closed: only corrections can be recorded.")


class CaseTerminated(IllegalTransition):
    message = N_("The case is closed by 终本: record a periodic search, resume it, or correct a node.")


class NeedsSeizure(IllegalTransition):
    message = N_("Property must be seized, impounded or frozen before appraisal or auction.")


class NeedsAuction(IllegalTransition):
    message = N_("A sale can only be recorded after the auction was listed.")


class NoOpenObjection(IllegalTransition):
    message = N_("There is no open objection to rule on.")


class TerminationNotAllowed(IllegalTransition):
    """``codes`` names each unmet condition (a node type, ``search_completed:<target>``, ...)."""

    message = N_("终本 is not allowed yet; missing: %(missing)s.")

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        super().__init__(missing=", ".join(codes))


class ClosureModeRequired(IllegalTransition):
    message = N_("Choose how the case was closed.")


class TargetRequired(IllegalTransition):
    message = N_("Choose what the network search looked for.")


class NotResumable(IllegalTransition):
    message = N_("Only a case closed by 终本 can be resumed.")


class BadCorrection(IllegalTransition):
    message = N_("A correction must point at an earlier node of the same case.")


class InsufficientFunds(PublicityError):
    message = N_("The payout exceeds the case balance of %(balance)s yuan.")


class InvalidAmount(PublicityError):
    message = N_("The amount must be greater than zero.")


class InvalidSetting(PublicityError):
    message = N_("Unknown or out-of-range setting %(name)s.")


class MinorNotListed(PublicityError):
    message = N_("Minors are not put on the defaulter list.")


class InvalidTerm(PublicityError):
    message = N_("Grounds 2 to 6 are listed for 2 years, extendable by 1 to 3 years; ground 1 has no fixed term.")


class InvalidGrace(PublicityError):
    message = N_("The grace period before publication is 0 to 3 months.")


class AlreadyRemoved(PublicityError):
    message = N_("This entry has already been removed.")


class NotCorrectable(PublicityError):
    message = N_("Only an entry that is on the public list can be the subject of a correction request.")


class AlreadyDecided(PublicityError):
    message = N_("This correction request has already been decided.")


class ReasonsRequired(PublicityError):
    message = N_("A rejection must give its reasons.")


class BadAttachment(PublicityError):
    message = N_("The attachment must be a PDF, PNG or JPEG file of at most %(limit)s MB.")


class RemovalGroundRecorded(PublicityError):
    message = N_("A removal ground is already recorded for this entry.")


class RemovalNeedsGround(PublicityError):
    message = N_("Record the removal ground before removing the entry.")


class InTheFuture(IllegalTransition):
    message = N_(
        "The time %(time)s is later than now: record a step once it has happened "
        "(%(minutes)s minutes of clock difference are allowed)."
    )


class BeforeFiling(IllegalTransition):
    message = N_("The time %(time)s is before the case was filed (%(filed)s).")


class DependentStep(IllegalTransition):
    message = N_("At that time the step would come before %(node)s of %(time)s, which depends on what came before it.")


class CorrectionBreaksRecord(IllegalTransition):
    cause: PublicityError | None = None  # the rule the step broke
    message = N_("This correction would leave the record wrong: %(node)s of %(time)s would break a rule: %(why)s")


class CorrectionReasonRequired(IllegalTransition):
    message = N_("Give the reason for the correction: it is shown with the corrected entry.")


class CorrectionTextRequired(IllegalTransition):
    message = N_("Enter the corrected public wording.")


class CorrectionTimeRequired(IllegalTransition):
    message = N_("Enter the time the step really happened.")


class AlreadyVoided(IllegalTransition):
    message = N_("This entry has already been voided.")


class NotCorrectableThisWay(IllegalTransition):
    """``message`` says why this kind of node cannot be corrected this way, and what to do instead."""


class PaidBeforeReceived(InsufficientFunds):
    message = N_(
        "On %(time)s the case would hold less than it paid out: a payout cannot come before the money arrived."
    )


# --- case funds as a ledger (执行案款) --------------------------------------------------------------------------------


class MoneyStillHeld(IllegalTransition):
    message = N_(
        "The case cannot be closed as fully performed (执行完毕) while ¥%(amount)s is still held for it: "
        "pay it out first."
    )


class ReversalReasonRequired(PublicityError):
    message = N_("Give the reason for the reversal: it is shown to the parties with the reversed entry.")


class NotReversible(PublicityError):
    message = N_("A reversal cannot itself be reversed: record the movement again instead.")


class AlreadyReversed(PublicityError):
    message = N_("This entry has already been reversed.")


class ReversalOverdraws(InsufficientFunds):
    message = N_(
        "Without this entry the case would hold less than it had paid out on %(time)s: reverse the payout "
        "first, or record what really happened."
    )


class PayeeRequired(PublicityError):
    message = N_("Choose who is paid: the applicant, the respondent (a refund) or the costs of enforcement.")


class PayeeNotAParty(PublicityError):
    message = N_("The payee must be an applicant (or, for a refund, a respondent) of this case.")


class PurposeRequired(PublicityError):
    message = N_("Say what the payout is for.")


class ApprovalRequired(PublicityError):
    message = N_(
        "A payout above ¥%(threshold)s is applied for and moves money only when a judge other than the applicant "
        "approves it."
    )


class PayoutAlreadyDecided(PublicityError):
    message = N_("This payout application has already been decided.")


class SelfApproval(PublicityError):
    message = N_("The officer who applied for a payout cannot approve it: another judge must.")


class ApproverNotJudge(PublicityError):
    message = N_("Only a judge can approve or reject a payout application.")


class RejectionReasonRequired(PublicityError):
    message = N_("Give the reason for rejecting the payout application.")


class DelayReasonRequired(PublicityError):
    message = N_("Give the reason for paying out later: it is kept with the receipt.")


class NotAReceipt(PublicityError):
    message = N_("A payout delay is approved for money received, not for a payout or a reversal.")


class DelayAlreadyApproved(PublicityError):
    message = N_("A delay has already been approved for this receipt.")


class NothingOutstanding(PublicityError):
    message = N_("This receipt has been paid out in full: there is nothing to delay.")
