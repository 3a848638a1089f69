"""Warning signs of sextortion and grooming in chat text: :mod:`.textnorm` folds what people
type, :mod:`.lexicon` indexes each language's word list (``signals/<language>.json``) and
:mod:`.monitor` assembles signs into message and conversation risks."""

from .monitor import (HALF_LIFE_SECONDS, ConversationMonitor, MessageRisk, RiskLevel, Signal, SignalKind, Stage,
                      check_message, signal_languages)

__all__ = ["HALF_LIFE_SECONDS", "ConversationMonitor", "MessageRisk", "RiskLevel", "Signal",
           "SignalKind", "Stage", "check_message", "signal_languages"]
