"""What a report kind defines, read by both the conversations that ask it and the report
templates that write it: its form (questions, their types, how an answer is typed, read, checked
and shown) and its calendar. It knows nothing of chats or documents."""
