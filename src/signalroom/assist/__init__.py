"""Real-time assist (docs/assist.md): live sessions streamed over WebSocket or HTTP, with the
handoff context, the live contact reason, knowledge and resolution suggestions, compliance
nudges and supervisor alerts; a finished session is stored and analysed like any other."""
