//! The places for trigger calls in flight (`GATEHOUSE_LAMBDA_CONCURRENCY`), shared fairly
//! between functions. One function may hold at most three quarters of them: the last
//! quarter (rounded down) is kept for the others. A call takes a place if one is free and its
//! function is under that share; otherwise it waits, and each place that frees up goes to the
//! waiting function, under its share, with the fewest calls in flight (the longest-waiting
//! call of that function first).
//!
//! Why: a function taking seconds per call holds its places for seconds. With one first-come
//! queue, a slow function's calls filled every place and queued, and other pools' functions
//! waited behind them until their calls timed out; handing freed places to the function with
//! the fewest calls was not enough either, since a place freed when no other call happened
//! to wait went back to the slow function for seconds. With a quarter kept, a fast function's
//! call finds a place at once while one slow function is saturated (docs/triggers.md,
//! "Configuration"; docs/benchmarks.md, "Trigger isolation").

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

/// The places, and who waits for one.
pub struct Places {
    state: Arc<Mutex<State>>,
}

struct State {
    free: usize,
    /// The most places one function may hold.
    share: usize,
    /// Calls holding a place, by function (functions with none are left out).
    in_flight: BTreeMap<String, usize>,
    /// Calls waiting for a place, by function, oldest first (no empty queues).
    waiting: BTreeMap<String, VecDeque<oneshot::Sender<Place>>>,
}

/// One place, held by one call of one function; dropping it hands the place on.
pub struct Place {
    state: Arc<Mutex<State>>,
    function: String,
    /// False for a place that was never handed to its caller (it went away first).
    held: bool,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The state is consistent between statements; a panic elsewhere cannot leave it half-changed.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Places {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                free: capacity,
                share: (capacity - capacity / 4).max(1),
                in_flight: BTreeMap::new(),
                waiting: BTreeMap::new(),
            })),
        }
    }

    /// A place for a call of `function`, at once or when one is handed to it. None only if
    /// the places went away first (the server is stopping). A caller that stops waiting
    /// (its time limit) leaves its turn, and a place handed to it just then is passed on.
    pub async fn take(&self, function: &str) -> Option<Place> {
        let handed = {
            let mut state = lock(&self.state);
            if state.free > 0 && state.holding(function) < state.share {
                state.free -= 1;
                *state.in_flight.entry(function.to_owned()).or_default() += 1;
                return Some(self.place(function));
            }
            let (sender, handed) = oneshot::channel();
            let queue = state.waiting.entry(function.to_owned()).or_default();
            // Callers that gave up are dropped here too, so a queue is no longer than the
            // calls still waiting in it.
            queue.retain(|waiter| !waiter.is_closed());
            queue.push_back(sender);
            handed
        };
        handed.await.ok()
    }

    fn place(&self, function: &str) -> Place {
        Place {
            state: self.state.clone(),
            function: function.to_owned(),
            held: true,
        }
    }
}

impl State {
    fn holding(&self, function: &str) -> usize {
        self.in_flight.get(function).copied().unwrap_or(0)
    }

    /// The next waiting call: of the function under its share with the fewest calls in
    /// flight, its oldest.
    fn next_waiter(&mut self) -> Option<(String, oneshot::Sender<Place>)> {
        let function = self
            .waiting
            .keys()
            .filter(|function| self.holding(function) < self.share)
            .min_by_key(|function| self.holding(function))?
            .clone();
        let queue = self.waiting.get_mut(&function)?;
        let waiter = queue.pop_front()?;
        if queue.is_empty() {
            self.waiting.remove(&function);
        }
        Some((function, waiter))
    }

    fn ended(&mut self, function: &str) {
        if let Some(count) = self.in_flight.get_mut(function) {
            *count -= 1;
            if *count == 0 {
                self.in_flight.remove(function);
            }
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let mut state = lock(&self.state);
        state.ended(&self.function);
        while let Some((function, waiter)) = state.next_waiter() {
            *state.in_flight.entry(function.clone()).or_default() += 1;
            let place = Place {
                state: self.state.clone(),
                function,
                held: true,
            };
            match waiter.send(place) {
                Ok(()) => return,
                // That caller stopped waiting: the place goes to the next one. (Had it
                // stopped just after the send, dropping the place it never took hands it on.)
                Err(mut unclaimed) => {
                    unclaimed.held = false;
                    state.ended(&unclaimed.function);
                }
            }
        }
        state.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Whether `future` is still pending after the runtime has run everything else.
    async fn pending<F: Future + Unpin>(future: &mut F) -> bool {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn no_more_calls_than_places_are_in_flight() {
        let places = Places::new(2);
        let first = places.take("f").await.unwrap();
        let _second = places.take("f").await.unwrap();
        let mut third = Box::pin(places.take("f"));
        assert!(pending(&mut third).await);
        drop(first);
        let _third = third.await.unwrap();
        assert_eq!(lock(&places.state).free, 0);
        assert_eq!(lock(&places.state).in_flight.get("f"), Some(&2));
    }

    /// `count` calls of `function` waiting, once they are all queued.
    async fn queue(
        places: &Arc<Places>,
        function: &'static str,
        count: usize,
    ) -> Vec<tokio::task::JoinHandle<Option<Place>>> {
        let waiting: Vec<_> = (0..count)
            .map(|_| {
                let places = places.clone();
                tokio::spawn(async move { places.take(function).await })
            })
            .collect();
        while lock(&places.state)
            .waiting
            .get(function)
            .map_or(0, VecDeque::len)
            < count
        {
            tokio::task::yield_now().await;
        }
        waiting
    }

    #[tokio::test]
    async fn one_function_leaves_a_quarter_of_the_places_to_the_others() {
        let places = Arc::new(Places::new(8));
        let mut slow = Vec::new();
        for _ in 0..6 {
            slow.push(places.take("slow").await.unwrap());
        }
        // Two places are free, but not for the function holding six of eight...
        let slow_waiting = queue(&places, "slow", 50).await;
        assert_eq!(lock(&places.state).free, 2);
        // ...while any other function takes them at once.
        let _other = places.take("other").await.unwrap();
        let _another = places.take("another").await.unwrap();
        assert!(slow_waiting.iter().all(|task| !task.is_finished()));
        // A slow call that ends hands its place to the oldest slow call waiting.
        drop(slow.pop());
        let first = slow_waiting.into_iter().next().unwrap();
        assert!(first.await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_freed_place_goes_to_the_function_with_fewest_calls_in_flight() {
        let places = Arc::new(Places::new(8));
        let mut slow = Vec::new();
        for _ in 0..6 {
            slow.push(places.take("slow").await.unwrap());
        }
        let _other = [
            places.take("other").await.unwrap(),
            places.take("other").await.unwrap(),
        ];
        // Every place is taken. Fifty more calls of the slow function queue first...
        let slow_waiting = queue(&places, "slow", 50).await;
        let mut third = Box::pin(places.take("third"));
        assert!(pending(&mut third).await);
        // ...and the first place to free up still goes to the function with none in flight.
        drop(slow.pop());
        let third = tokio::time::timeout(Duration::from_secs(5), third).await;
        assert!(third.unwrap().is_some());
        assert!(slow_waiting.iter().all(|task| !task.is_finished()));
        drop(slow);
        for task in slow_waiting {
            task.abort();
        }
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_loses_no_place() {
        let places = Places::new(1);
        let first = places.take("f").await.unwrap();
        let mut gave_up = Box::pin(places.take("f"));
        assert!(pending(&mut gave_up).await);
        drop(gave_up);
        drop(first);
        // The freed place was not handed to the caller that left: it is free again.
        assert_eq!(lock(&places.state).free, 1);
        assert!(lock(&places.state).in_flight.is_empty());
        let _again = places.take("g").await.unwrap();
    }
}
