//! The window's answer to an SFTP server's keyboard-interactive questions (a one-time
//! code, anything besides the password): the engine's connection asks through
//! [`WindowPrompter`], the window shows the questions in a dialog at its next frame and
//! sends the answers back. The connection waits on a oneshot; the UI thread never waits.

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

use crate::gui::jobs::Wake;
use crate::secret::Secret;
use crate::sftp::ssh::{Answers, Prompter, PrompterHandle, Questions};

/// Questions waiting for the window, with where their answers go.
pub type Asked = (Questions, oneshot::Sender<Option<Vec<Secret>>>);

/// The connections' side: sends questions to the window and wakes it.
struct WindowPrompter {
    questions: Mutex<mpsc::Sender<Asked>>,
    wake: Wake,
}

impl Prompter for WindowPrompter {
    fn ask(&self, questions: Questions) -> Answers {
        let (reply, answers) = oneshot::channel();
        let sent = self
            .questions
            .lock()
            .is_ok_and(|sender| sender.send((questions, reply)).is_ok());
        (self.wake)();
        Box::pin(async move {
            if !sent {
                return None;
            }
            // A window that closes without answering declines.
            answers.await.ok().flatten()
        })
    }
}

/// The window's side: the prompter to give SFTP servers' settings, and the questions it
/// receives.
pub struct QuestionsInbox {
    pub prompter: PrompterHandle,
    pub inbox: mpsc::Receiver<Asked>,
    /// The answer the dialog shown now owes.
    pub pending: Option<oneshot::Sender<Option<Vec<Secret>>>>,
}

impl QuestionsInbox {
    pub fn new(wake: Wake) -> Self {
        let (sender, inbox) = mpsc::channel();
        Self {
            prompter: PrompterHandle(Arc::new(WindowPrompter {
                questions: Mutex::new(sender),
                wake,
            })),
            inbox,
            pending: None,
        }
    }

    /// The next questions to show, when no answer is owed.
    pub fn next(&mut self) -> Option<Questions> {
        if self.pending.is_some() {
            return None;
        }
        let (questions, reply) = self.inbox.try_recv().ok()?;
        self.pending = Some(reply);
        Some(questions)
    }

    /// The dialog's answer (`None`: cancelled).
    pub fn answer(&mut self, answers: Option<Vec<String>>) {
        if let Some(reply) = self.pending.take() {
            let answers = answers.map(|a| a.into_iter().map(Secret::new).collect());
            reply.send(answers).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn questions_reach_the_window_and_answers_the_connection() {
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let mut inbox = QuestionsInbox::new(Arc::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let questions = Questions {
            host: "[127.0.0.1]:2222".into(),
            user: "kim".into(),
            name: String::new(),
            instructions: "Two factors".into(),
            prompts: vec![("Verification code: ".into(), true)],
        };
        let asked = inbox.prompter.0.ask(questions.clone());
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(inbox.next(), Some(questions.clone()));
        assert_eq!(inbox.next(), None, "one dialog at a time");
        inbox.answer(Some(vec!["123456".into()]));
        let answers = asked.await.unwrap();
        assert_eq!(answers[0].expose(), "123456");

        let declined = inbox.prompter.0.ask(questions);
        assert!(inbox.next().is_some());
        inbox.answer(None);
        assert!(declined.await.is_none());
    }
}
